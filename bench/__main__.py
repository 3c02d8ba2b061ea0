import sys

if sys.argv[1:2] == ["orders"]:  # the order-path benchmark; everything else is the fan-out benchmark
    from bench.orders.cli import main

    raise SystemExit(main(sys.argv[2:]))

from bench.cli import main

raise SystemExit(main())
