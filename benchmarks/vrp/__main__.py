from benchmarks.vrp.run import main

main()
