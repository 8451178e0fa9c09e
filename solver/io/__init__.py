"""Reading instances and writing solutions in the formats users bring."""

from solver.io.json import read_problem_json, read_solution_json, write_problem_json
from solver.io.read import read_instance, read_solution
from solver.io.solution import solution_to_csv, solution_to_json, solution_to_vrplib

__all__ = [
    "read_instance",
    "read_problem_json",
    "read_solution",
    "read_solution_json",
    "solution_to_csv",
    "solution_to_json",
    "solution_to_vrplib",
    "write_problem_json",
]
