package linux

// TaskSize is the end of the user address space of an x86-64 process with
// 4-level page tables (Linux's TASK_SIZE_MAX): one page below 1<<47, so
// that no instruction can run on into the non-canonical hole. User
// addresses are below it; mappings, stacks and FS/GS bases beyond it are
// refused.
const TaskSize = 1<<47 - PageSize
