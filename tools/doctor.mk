# make doctor: what this machine lacks for the workbook, and the fix
# (tools/doctor.sh; `--quiet` is what the tests and the grader run first).

.PHONY: doctor
doctor:
	@tools/doctor.sh
