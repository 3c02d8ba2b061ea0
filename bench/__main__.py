import sys

if sys.argv[1:2] == ["orders"]:  # the order-path benchmark; everything else is the fan-out benchmark
    from bench.orders.cli import main

    raise SystemExit(main(sys.argv[2:]))

if sys.argv[1:2] == ["auctions"]:  # bids accepted over the WebSocket while followers watch the auction
    from bench.auction_bids import main

    raise SystemExit(main(sys.argv[2:]))

from bench.cli import main

raise SystemExit(main())
