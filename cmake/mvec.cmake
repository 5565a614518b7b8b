# glibc's libmvec (vectorised sinf for Snake, src/nn/vmath.c); optional.
find_library(MVEC_LIBRARY mvec)
if(MVEC_LIBRARY)
  target_link_libraries(cosyvoice PUBLIC ${MVEC_LIBRARY})
  target_compile_definitions(cosyvoice PRIVATE CV_HAVE_LIBMVEC=1)
endif()
