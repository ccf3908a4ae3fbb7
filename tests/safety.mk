# The workbook's safety tests (DEVELOPERS.md): the doctor's advice where
# namespaces are refused, bad input to every program, and hostile programs
# graded in the sandbox.

TEST_STEPS += test-doctor
.PHONY: test-doctor

# The doctor, on broken machines made for the test (tests/test-doctor.sh).
test-doctor: $(T)/nsdeny
	tests/test-doctor.sh $(B)

$(T)/nsdeny: $(T)/nsdeny.o $(T)/die.o
	$(CC) -o $@ $^
