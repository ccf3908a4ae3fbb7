# make lab: a shell in the lab container (tools/lab.sh, the Dockerfile).
#   make lab CMD='make test'   runs a command in the lab instead: for scripts and CI
#   make lab ENGINE=podman     picks the engine when docker and podman both answer
.PHONY: lab
lab:
	@LAB_ENGINE='$(subst ','\'',$(ENGINE))' tools/lab.sh $(if $(CMD),bash -c '$(subst ','\'',$(CMD))')
