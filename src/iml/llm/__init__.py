"""The LLM brain: one client seam (client.py), prompts as packaged templates, and each agent's llm brain."""
