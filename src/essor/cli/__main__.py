from essor.cli.main import app

app(prog_name="essor")
