"""Signed webhooks (Standard Webhooks): signing, target checks, the outbox, delivery."""
