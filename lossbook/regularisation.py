"""Penalties on model weights: L1, L2 and the elastic net."""

__all__ = []
