from baytwin.cli import main

main()
