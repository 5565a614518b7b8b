# Parity of the flow (speech tokens -> mel) against the golden tiny model.
cv_test(NAME parity/flow NEURAL
  COMMAND cosyvoice-parity --golden tests/data/golden/cosyvoice-v1-tiny --only flow)
