"""Conversation, models and tool calls. Never imports Qt; llama_cpp only inside backends/."""
