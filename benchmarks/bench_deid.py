"""De-identification benchmark (same as `chartsift bench deid`): stock Presidio vs chartsift."""

from flows.bench import main

if __name__ == "__main__":
    main()
