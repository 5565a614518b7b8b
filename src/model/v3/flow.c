#include "model/v3/flow.h"
cv_status flow3_config_from_yaml(const yaml_config *y, flow3_config *cfg)
{
    (void)y, (void)cfg;
    return cv_error(CV_UNIMPLEMENTED, "todo");
}
cv_status flow3_load(const pt_dict *sd, const flow3_config *cfg, const nn_noise *noise,
                     causal_flow **out)
{
    (void)sd, (void)cfg, (void)noise, (void)out;
    return cv_error(CV_UNIMPLEMENTED, "todo");
}
