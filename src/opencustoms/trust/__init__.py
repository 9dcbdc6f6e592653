"""Trust: canonical bytes, signing keys with their validity, and signatures (JWS)."""
