"""Issue 7's quality benchmark: routecast ``hgs`` beside PyVRP, OR-Tools and VROOM."""
