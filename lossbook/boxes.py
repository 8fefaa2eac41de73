"""Bounding-box overlap and the IoU family of losses (boxes as (x1, y1, x2, y2))."""

__all__ = []
