/* The neural-network tensor core in one include. */
#ifndef CV_NN_NN_H
#define CV_NN_NN_H

#include "nn/conv.h"
#include "nn/matmul.h"
#include "nn/noise.h"
#include "nn/ops.h"
#include "nn/scratch.h"
#include "nn/stft.h"
#include "nn/tensor.h"

#endif
