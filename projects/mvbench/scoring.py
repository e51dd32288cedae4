"""MVBench answer post-processing and scoring.

* :func:`check_ans` is the official rule with all its quirks (leaderboard score):
  substring tests between the first space-separated tokens, so an empty generation
  (``pred == '('``) is correct for every question, and a ground truth with no text
  after the option raises ``IndexError`` as in the notebook.
* :func:`parse_option_strict` is a stricter first-letter parse reported beside it.
"""
import re
from collections.abc import Sequence

__all__ = [
    'check_ans', 'parse_option_strict', 'check_ans_strict', 'answer_text',
    'make_pred', 'strip_leading_special_ids',
]


def strip_leading_special_ids(ids: Sequence[int], unk_id: int = 0, bos_id: int = 1
                              ) -> list[int]:
    """``answer()`` step 1: drop a leading ``<unk>`` then a leading ``<s>`` token id."""
    ids = list(ids)
    if ids and ids[0] == unk_id:
        ids = ids[1:]
    if ids and ids[0] == bos_id:
        ids = ids[1:]
    return ids


def answer_text(decoded: str, sep: str = '###', assistant_role: str = 'Assistant') -> str:
    """``answer()`` step 2: cut at the separator, keep text after the last role, strip."""
    if sep:
        decoded = decoded.split(sep)[0]
    return decoded.split(assistant_role + ':')[-1].strip()


def make_pred(text: str, return_prompt: str = '(') -> str:
    """``infer_mvbench``: re-add the return prompt to the first line of the answer."""
    return return_prompt + text.strip().split('\n')[0]


def check_ans(pred: str, gt: str) -> bool:
    """Official ``check_ans(pred, gt)`` (raises ``IndexError`` for a gt without text)."""
    pred_option = pred.lower().split(' ')[0]
    gt_tokens = gt.lower().split(' ')
    gt_option, gt_content = gt_tokens[0], ' '.join(gt_tokens[1:])
    if gt_content[-1] == '.':  # evaluated by the notebook: IndexError on empty content
        gt_content = gt_content[:-1]
    if pred_option.replace('.', '') in gt_option:
        return True
    return gt_option in pred_option


_STRICT = re.compile(r'^\s*\(?\s*([A-Za-z])\s*(?:\)|\.|:|,|$|\s)')


def parse_option_strict(pred: str, num_options: int) -> str | None:
    """First option letter of ``pred`` (after the re-added ``(``), or ``None``.

    Accepts ``(B)``, ``(B) text``, ``B``, ``B.``, ``b)``; rejects empty answers, words
    (``(Ate``), letters outside the option range and multi-letter tokens (``(AB)``).
    """
    m = _STRICT.match(pred)
    if not m:
        return None
    letter = m.group(1).upper()
    if ord(letter) - ord('A') >= num_options:
        return None
    return letter


def check_ans_strict(pred: str, gt_letter: str, num_options: int) -> bool:
    return parse_option_strict(pred, num_options) == gt_letter
