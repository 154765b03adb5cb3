from kcbot.cli import main

raise SystemExit(main())
