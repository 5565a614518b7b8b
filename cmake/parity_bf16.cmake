# How far bf16 weights (--engine-opt precision=bf16) move the vocoder, flow,
# LM and streaming results from the float32 golden data: printed, info only
# (the entry fails only when a check cannot run at all). On a CPU without
# bf16 dot products it says so and passes.
cv_test(NAME parity/bf16_report
  COMMAND cosyvoice-parity --golden tests/data/golden/cosyvoice-v1-tiny --precision bf16)
