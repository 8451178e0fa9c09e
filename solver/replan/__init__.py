"""Re-planning a day under way: plan state, locks, disruption, the residual problem."""
