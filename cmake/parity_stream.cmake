# Parity of the streaming token-to-audio path (flow + vocoder with caches,
# chunk schedule) against the golden tiny model.
cv_test(NAME parity/stream NEURAL
  COMMAND cosyvoice-parity --golden tests/data/golden/cosyvoice-v1-tiny --only stream)
