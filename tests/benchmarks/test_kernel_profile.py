"""The kernel profiler's symbol names and perf map (perf itself is not needed here)."""

from benchmarks.vrp.kernel_profile import _demangle, _write_perf_map


def test_numba_symbols_shorten_to_module_and_kernel():
    symbol = "_ZN6solver7engines9heuristic6_moves9try_applyB3v56B38c8tJTIeFIjxB2IKSgI4CrvQClUZKEGARTQA_3dE1076Instance"
    assert _demangle(symbol) == "_moves.try_apply"
    assert _demangle("memset") == "memset"


def test_perf_map_lists_kernels_in_address_order_with_sizes_to_the_next():
    path = _write_perf_map({0x2000: "_search.ruin", 0x1000: "_moves.try_pair"})
    try:
        assert path.read_text().splitlines() == ["1000 1000 _moves.try_pair", "2000 10000 _search.ruin"]
    finally:
        path.unlink()
