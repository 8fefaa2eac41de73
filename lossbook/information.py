"""Information-theoretic quantities: entropy and KL divergence."""

__all__ = []
