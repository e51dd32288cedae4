"""Shared heads (plugins add ``from .x import *`` lines)."""
