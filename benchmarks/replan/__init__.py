"""Re-planning benchmark (issue 17): see README.md."""
