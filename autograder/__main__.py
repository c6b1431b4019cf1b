from autograder.integrations.cli import main

raise SystemExit(main())
