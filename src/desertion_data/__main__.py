from desertion_data.cli import main

raise SystemExit(main())
