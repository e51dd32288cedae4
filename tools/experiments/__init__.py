"""Synthetic-world comparisons: short scripts that run configs through mmengine's Runner."""
