"""The job store: SQLAlchemy 2 tables, one module per lifecycle (jobs, leases, scenario
runs, trainings) sharing one transition helper, and the migrations."""
