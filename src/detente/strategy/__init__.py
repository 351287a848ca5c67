"""Negotiation strategies against uncertain target types: the game engine, strategies, runs."""
