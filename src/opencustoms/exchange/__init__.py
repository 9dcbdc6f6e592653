"""The origin data exchange between customs nodes: messages, envelopes, delivery."""
