# oneDNN (Debian libdnnl-dev): the GEMMs and bf16 matmuls of src/nn
# (src/nn/backend.h; docs/compute.md has the measurements that chose it).
# Debian builds it on OpenMP: libgomp is linked for omp_set_num_threads,
# which keeps it serial on every thread that calls it.
find_package(dnnl CONFIG REQUIRED)
find_library(GOMP_LIBRARY NAMES gomp libgomp.so.1 REQUIRED)
target_link_libraries(cosyvoice PUBLIC DNNL::dnnl ${GOMP_LIBRARY})
