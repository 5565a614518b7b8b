# Parity against the reference implementation's golden data (tools/parity).
cv_test(NAME parity/hift NEURAL
  COMMAND cosyvoice-parity --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice-v1-tiny
          --only hift)
