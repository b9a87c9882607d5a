#define cpu_to_node(cpu) 0
