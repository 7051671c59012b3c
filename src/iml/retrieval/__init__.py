"""Retrieval: which pretrained checkpoints fit the task and can actually be loaded here."""
