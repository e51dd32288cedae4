"""Every command the READMEs show runs as pasted after `make demo` / `make test` (issue #10.9).

Commands are read from the shell code blocks (```bash / sh / shell / console) and from
inline code spans of the top README, each ``projects/*/README.md``, the tools' READMEs
(``tools/**/README.md``) and ``docs/*.md``. A command that
runs a script must use the project's interpreter (``.venv/bin/python``, ``.venv/bin/torchrun``
or ``tools/dist_*.sh``; a fresh shell's ``python`` has no torch), its script must exist, and
so must every repository path it names (``configs/...py``, ``tools/...``, ``projects/...``,
``tests/...``).
"""
from __future__ import annotations

import glob
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
READMES = ['README.md'] + sorted(
    osp.relpath(p, REPO) for pattern in ('projects/*/README.md', 'tools/**/README.md', 'docs/*.md')
    for p in glob.glob(osp.join(REPO, pattern), recursive=True))
SHELL_LANGS = {'bash', 'sh', 'shell', 'console'}
GOOD_PROGRAMS = {'.venv/bin/python', '.venv/bin/torchrun', 'make'}
BARE = re.compile(r'^(python[0-9.]*|torchrun|pip[0-9.]*|pytest)$')
REPO_PATH = re.compile(r'^(configs|tools|projects|tests)/[^\s]*$')
PLACEHOLDER = re.compile(r'[A-Z]{3,}|[{}*<>\[\]]|\.\.\.')  # CONFIG, {b,l}, dist_*.sh, <plugin>
ENV_ASSIGN = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*=')


def readme_commands(text: str) -> list[tuple[int, str]]:
    """``(line number, command)`` of the shell-block lines and inline code spans."""
    out, lang, pending, start = [], None, '', 0
    for lineno, line in enumerate(text.splitlines(), 1):
        fence = re.match(r'^\s*```\s*([\w+-]*)', line)
        if fence:
            lang = None if lang is not None else fence.group(1).lower()
            continue
        if lang is None:
            out += [(lineno, span) for span in re.findall(r'`([^`\n]+)`', line)]
            continue
        if lang not in SHELL_LANGS:
            continue
        if not pending:
            start = lineno
        body = line.rstrip()
        if lang == 'console' and body.lstrip().startswith('$ '):
            body = body.lstrip()[2:]
        if body.endswith('\\'):
            pending += body[:-1] + ' '
            continue
        out.append((start, pending + body))
        pending = ''
    return out


def split(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split('#', 1)[0].split()


def program_and_args(tokens: list[str]) -> tuple[str, list[str]]:
    while tokens and ENV_ASSIGN.match(tokens[0]):  # PYTHONPATH=. OMP_NUM_THREADS=1 ...
        tokens = tokens[1:]
    return (tokens[0], tokens[1:]) if tokens else ('', [])


def runs_something(program: str, args: list[str]) -> bool:
    """A command line (not a name mentioned in prose) that runs a script or tool."""
    if program in GOOD_PROGRAMS or BARE.match(program):
        return bool(args)
    if program.startswith('tools/'):  # `tools/train.py` in prose names a script
        return program.endswith('.sh')
    return program == 'bash' and bool(args) and args[0].startswith('tools/')


def check_command(program: str, args: list[str]) -> list[str]:
    """What keeps this command from running as pasted (empty: nothing)."""
    problems = []
    if BARE.match(program):
        fix = {'torchrun': '.venv/bin/torchrun', 'pytest': '.venv/bin/python -m pytest'}.get(
            program, '.venv/bin/python -m pip' if program.startswith('pip') else '.venv/bin/python')
        problems.append(f'bare `{program}` (a fresh shell has no torch there): use `{fix}`')
    if program.startswith('tools/') and not PLACEHOLDER.search(program):
        path = osp.join(REPO, program)
        if not osp.isfile(path):
            problems.append(f'{program} does not exist')
        elif not os.access(path, os.X_OK):
            problems.append(f'{program} is not executable (run it with bash)')
    if program != 'make' and '-m' not in args[:1]:
        scripts = [a for a in args if a.endswith(('.py', '.sh')) and not a.startswith('-')]
        if not scripts and program != 'make' and not program.startswith('tools/'):
            problems.append('no script to run')
    for arg in args:
        for token in arg.split('='):  # --flag=configs/x.py
            token = token.split('::')[0]  # a pytest node id names its file
            if (REPO_PATH.match(token) and not PLACEHOLDER.search(token)
                    and not osp.exists(osp.join(REPO, token.rstrip('.,;:')))):
                problems.append(f'{token} does not exist')
    return problems


# Runs each script with --help in one interpreter (imports are shared, so this takes seconds):
# it must print its usage and exit 0 (or return), as pasted: from the repo root, no PYTHONPATH.
HELP_ALL = r'''
import contextlib, io, runpy, sys
bad = []
for path in sys.argv[1:]:
    sys.argv = [path, '--help']
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(path, run_name='__main__')
    except SystemExit as e:
        if e.code not in (0, None):
            bad.append(f'{path} --help: exit {e.code}')
    except BaseException as e:
        bad.append(f'{path} --help: {type(e).__name__}: {str(e)[:300]}')
print('\\n'.join(bad))
'''


def readme_scripts() -> list[str]:
    """The Python scripts the README commands run."""
    scripts = set()
    for readme in READMES:
        with open(osp.join(REPO, readme)) as f:
            for _, command in readme_commands(f.read()):
                program, args = program_and_args(split(command))
                if (not runs_something(program, args) or '-m' in args[:1]
                        or program in ('bash', 'make') or program.endswith('.sh')):
                    continue
                script = next((a for a in args if a.endswith('.py')), None)  # then CONFIG
                if script and osp.isfile(osp.join(REPO, script)):
                    scripts.add(script)
    return sorted(scripts)


def test_readme_scripts_start_as_pasted():
    scripts = readme_scripts()
    assert 'tools/train.py' in scripts and 'tools/test.py' in scripts
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME')}
    out = subprocess.run([sys.executable, '-c', HELP_ALL, *scripts], cwd=REPO,
                         env=dict(env, OMP_NUM_THREADS='1'), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert not out.stdout.strip(), out.stdout


def test_parser_finds_blocks_continuations_and_spans():
    text = ('x `python tools/a.py --x` y\n```bash\n.venv/bin/python tools/train.py \\\n'
            '    configs/a.py  # note\n```\n```python\npython = 1\n```\n')
    cmds = readme_commands(text)
    assert cmds == [(1, 'python tools/a.py --x'),
                    (3, '.venv/bin/python tools/train.py      configs/a.py  # note')]
    prog, args = program_and_args(split(cmds[1][1]))
    assert prog == '.venv/bin/python' and args == ['tools/train.py', 'configs/a.py']
    assert any('bare `python`' in p for p in check_command(*program_and_args(split(cmds[0][1]))))
    assert 'configs/a.py does not exist' in check_command(prog, args)
    assert check_command('.venv/bin/python', ['-m', 'pytest', 'tests/tools']) == []
    assert check_command('tools/dist_train.sh', ['CONFIG', '8']) == []
    assert not runs_something('torchrun', [])  # a name in prose, not a command
    assert not runs_something('tools/train.py', [])
    assert runs_something('tools/dist_train.sh', ['CONFIG', '8'])


@pytest.mark.parametrize('readme', READMES)
def test_readme_commands_run_as_pasted(readme):
    with open(osp.join(REPO, readme)) as f:
        commands = readme_commands(f.read())
    problems, checked = [], 0
    for lineno, command in commands:
        program, args = program_and_args(split(command))
        if not runs_something(program, args):
            continue
        checked += 1
        problems += [f'{readme}:{lineno}: {p}  <- {command.strip()}'
                     for p in check_command(program, args)]
    assert checked, f'no commands found in {readme}'
    assert not problems, f'{len(problems)} README command problem(s):\n' + '\n'.join(problems)
