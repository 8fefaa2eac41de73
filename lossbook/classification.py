"""Classification losses: probabilities, logits and margins."""

__all__ = []
