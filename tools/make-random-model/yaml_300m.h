/* The cosyvoice.yaml text written into the random model directory. */
#ifndef CV_TOOLS_YAML_300M_H
#define CV_TOOLS_YAML_300M_H

extern const char yaml_300m[];

#endif
