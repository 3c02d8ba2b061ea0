from bench.orders.cli import main

raise SystemExit(main())
