# Thin entry points; the logic lives in scripts/.
.PHONY: run test clean

run:
	bash scripts/bootstrap.sh run
	bash scripts/run.sh

test:
	bash scripts/bootstrap.sh test
	bash scripts/test.sh

clean:
	rm -rf .venv var
