# oneDNN (Debian libdnnl-dev): the GEMMs and bf16 matmuls of src/nn
# (src/nn/backend.h; docs/compute.md has the measurements that chose it).
# Debian builds it on OpenMP: libgomp is linked for omp_set_num_threads,
# which keeps it serial on every thread that calls it.
#
# Found by header and library, not by Debian's dnnl-config.cmake: that file
# asks for the OpenCL development files (Debian's oneDNN carries a GPU
# runtime we never use), which a machine without ocl-icd-opencl-dev lacks,
# and the configure step then fails on a fresh install.
find_path(DNNL_INCLUDE_DIR NAMES oneapi/dnnl/dnnl.h REQUIRED)
find_library(DNNL_LIBRARY NAMES dnnl REQUIRED)
find_library(GOMP_LIBRARY NAMES gomp libgomp.so.1 REQUIRED)
add_library(cv_dnnl INTERFACE)
target_include_directories(cv_dnnl INTERFACE ${DNNL_INCLUDE_DIR})
target_link_libraries(cv_dnnl INTERFACE ${DNNL_LIBRARY} ${GOMP_LIBRARY})
target_link_libraries(cosyvoice PUBLIC cv_dnnl)
