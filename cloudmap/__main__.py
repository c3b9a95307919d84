from cloudmap.cli.main import run

run()
