/* uvmsim — umbrella header: every installed public header (the install test checks it). */
#ifndef UVMSIM_UVMSIM_H
#define UVMSIM_UVMSIM_H
#include "uvmsim/types.h"
#include "uvmsim/error.h"
#include "uvmsim/machine.h"
#include "uvmsim/flashdev.h"
#include "uvmsim/fs.h"
#include "uvmsim/vm.h"
#include "uvmsim/pmap.h"
#include "uvmsim/trace.h"
#include "uvmsim/exec.h"
#include "uvmsim/switchbench.h"
#include "uvmsim/replay.h"
#include "uvmsim/cost.h"
#endif
