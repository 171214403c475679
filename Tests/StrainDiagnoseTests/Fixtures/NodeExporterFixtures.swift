// Captured from prometheus-node-exporter 1.5 (Debian 12) on the test machine, /metrics read twice
// two seconds apart; only the metric families the diagnoser reads are kept, verbatim.
enum NodeExporterFixtures {
    static let first = #"""
    # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
    # TYPE node_cpu_seconds_total counter
    node_cpu_seconds_total{cpu="0",mode="idle"} 1794.74
    node_cpu_seconds_total{cpu="0",mode="iowait"} 2.44
    node_cpu_seconds_total{cpu="0",mode="irq"} 0
    node_cpu_seconds_total{cpu="0",mode="nice"} 0.37
    node_cpu_seconds_total{cpu="0",mode="softirq"} 0.47
    node_cpu_seconds_total{cpu="0",mode="steal"} 0.61
    node_cpu_seconds_total{cpu="0",mode="system"} 95.52
    node_cpu_seconds_total{cpu="0",mode="user"} 413.68
    node_cpu_seconds_total{cpu="1",mode="idle"} 1685.53
    node_cpu_seconds_total{cpu="1",mode="iowait"} 12.53
    node_cpu_seconds_total{cpu="1",mode="irq"} 0
    node_cpu_seconds_total{cpu="1",mode="nice"} 0.36
    node_cpu_seconds_total{cpu="1",mode="softirq"} 1.89
    node_cpu_seconds_total{cpu="1",mode="steal"} 0.72
    node_cpu_seconds_total{cpu="1",mode="system"} 125.72
    node_cpu_seconds_total{cpu="1",mode="user"} 481.84
    # HELP node_disk_io_time_seconds_total Total seconds spent doing I/Os.
    # TYPE node_disk_io_time_seconds_total counter
    node_disk_io_time_seconds_total{device="vda"} 24.900000000000002
    node_disk_io_time_seconds_total{device="zram0"} 0
    # HELP node_disk_io_time_weighted_seconds_total The weighted # of seconds spent doing I/Os.
    # TYPE node_disk_io_time_weighted_seconds_total counter
    node_disk_io_time_weighted_seconds_total{device="vda"} 203.901
    node_disk_io_time_weighted_seconds_total{device="zram0"} 0
    # HELP node_disk_read_time_seconds_total The total number of seconds spent by all reads.
    # TYPE node_disk_read_time_seconds_total counter
    node_disk_read_time_seconds_total{device="vda"} 163.598
    node_disk_read_time_seconds_total{device="zram0"} 0
    # HELP node_disk_reads_completed_total The total number of reads completed successfully.
    # TYPE node_disk_reads_completed_total counter
    node_disk_reads_completed_total{device="vda"} 137331
    node_disk_reads_completed_total{device="zram0"} 0
    # HELP node_disk_write_time_seconds_total This is the total number of seconds spent by all writes.
    # TYPE node_disk_write_time_seconds_total counter
    node_disk_write_time_seconds_total{device="vda"} 35.492
    node_disk_write_time_seconds_total{device="zram0"} 0
    # HELP node_disk_writes_completed_total The total number of writes completed successfully.
    # TYPE node_disk_writes_completed_total counter
    node_disk_writes_completed_total{device="vda"} 88597
    node_disk_writes_completed_total{device="zram0"} 0
    # HELP node_load1 1m load average.
    # TYPE node_load1 gauge
    node_load1 3.9
    # HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
    # TYPE node_memory_MemAvailable_bytes gauge
    node_memory_MemAvailable_bytes 2.4281206784e+10
    # HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
    # TYPE node_memory_MemTotal_bytes gauge
    node_memory_MemTotal_bytes 2.5276510208e+10
    # HELP node_memory_SwapFree_bytes Memory information field SwapFree_bytes.
    # TYPE node_memory_SwapFree_bytes gauge
    node_memory_SwapFree_bytes 0
    # HELP node_memory_SwapTotal_bytes Memory information field SwapTotal_bytes.
    # TYPE node_memory_SwapTotal_bytes gauge
    node_memory_SwapTotal_bytes 0
    # HELP node_netstat_TcpExt_ListenDrops Statistic TcpExtListenDrops.
    # TYPE node_netstat_TcpExt_ListenDrops untyped
    node_netstat_TcpExt_ListenDrops 0
    # HELP node_netstat_TcpExt_ListenOverflows Statistic TcpExtListenOverflows.
    # TYPE node_netstat_TcpExt_ListenOverflows untyped
    node_netstat_TcpExt_ListenOverflows 0
    # HELP node_netstat_Tcp_OutSegs Statistic TcpOutSegs.
    # TYPE node_netstat_Tcp_OutSegs untyped
    node_netstat_Tcp_OutSegs 20759
    # HELP node_netstat_Tcp_RetransSegs Statistic TcpRetransSegs.
    # TYPE node_netstat_Tcp_RetransSegs untyped
    node_netstat_Tcp_RetransSegs 23
    # HELP node_network_receive_bytes_total Network device statistic receive_bytes.
    # TYPE node_network_receive_bytes_total counter
    node_network_receive_bytes_total{device="eth0"} 1.66588061e+08
    # HELP node_network_receive_drop_total Network device statistic receive_drop.
    # TYPE node_network_receive_drop_total counter
    node_network_receive_drop_total{device="eth0"} 0
    # HELP node_network_receive_errs_total Network device statistic receive_errs.
    # TYPE node_network_receive_errs_total counter
    node_network_receive_errs_total{device="eth0"} 0
    # HELP node_network_transmit_bytes_total Network device statistic transmit_bytes.
    # TYPE node_network_transmit_bytes_total counter
    node_network_transmit_bytes_total{device="eth0"} 155388
    # HELP node_network_transmit_drop_total Network device statistic transmit_drop.
    # TYPE node_network_transmit_drop_total counter
    node_network_transmit_drop_total{device="eth0"} 0
    # HELP node_network_transmit_errs_total Network device statistic transmit_errs.
    # TYPE node_network_transmit_errs_total counter
    node_network_transmit_errs_total{device="eth0"} 0
    # HELP node_pressure_cpu_waiting_seconds_total Total time in seconds that processes have waited for CPU time
    # TYPE node_pressure_cpu_waiting_seconds_total counter
    node_pressure_cpu_waiting_seconds_total 206.217433
    # HELP node_pressure_io_stalled_seconds_total Total time in seconds no process could make progress due to IO congestion
    # TYPE node_pressure_io_stalled_seconds_total counter
    node_pressure_io_stalled_seconds_total 10.841454
    # HELP node_pressure_io_waiting_seconds_total Total time in seconds that processes have waited due to IO congestion
    # TYPE node_pressure_io_waiting_seconds_total counter
    node_pressure_io_waiting_seconds_total 13.315162
    # HELP node_pressure_memory_stalled_seconds_total Total time in seconds no process could make progress due to memory congestion
    # TYPE node_pressure_memory_stalled_seconds_total counter
    node_pressure_memory_stalled_seconds_total 0
    # HELP node_pressure_memory_waiting_seconds_total Total time in seconds that processes have waited for memory
    # TYPE node_pressure_memory_waiting_seconds_total counter
    node_pressure_memory_waiting_seconds_total 0
    # HELP node_procs_blocked Number of processes blocked waiting for I/O to complete.
    # TYPE node_procs_blocked gauge
    node_procs_blocked 0
    # HELP node_procs_running Number of processes in runnable state.
    # TYPE node_procs_running gauge
    node_procs_running 10
    # HELP node_vmstat_pswpin /proc/vmstat information field pswpin.
    # TYPE node_vmstat_pswpin untyped
    node_vmstat_pswpin 0
    # HELP node_vmstat_pswpout /proc/vmstat information field pswpout.
    # TYPE node_vmstat_pswpout untyped
    node_vmstat_pswpout 0
    """#
    static let second = #"""
    # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
    # TYPE node_cpu_seconds_total counter
    node_cpu_seconds_total{cpu="0",mode="idle"} 1794.74
    node_cpu_seconds_total{cpu="0",mode="iowait"} 2.44
    node_cpu_seconds_total{cpu="0",mode="irq"} 0
    node_cpu_seconds_total{cpu="0",mode="nice"} 0.37
    node_cpu_seconds_total{cpu="0",mode="softirq"} 0.47
    node_cpu_seconds_total{cpu="0",mode="steal"} 0.63
    node_cpu_seconds_total{cpu="0",mode="system"} 95.66
    node_cpu_seconds_total{cpu="0",mode="user"} 415.57
    node_cpu_seconds_total{cpu="1",mode="idle"} 1685.53
    node_cpu_seconds_total{cpu="1",mode="iowait"} 12.53
    node_cpu_seconds_total{cpu="1",mode="irq"} 0
    node_cpu_seconds_total{cpu="1",mode="nice"} 0.36
    node_cpu_seconds_total{cpu="1",mode="softirq"} 1.89
    node_cpu_seconds_total{cpu="1",mode="steal"} 0.72
    node_cpu_seconds_total{cpu="1",mode="system"} 125.76
    node_cpu_seconds_total{cpu="1",mode="user"} 483.84
    # HELP node_disk_io_time_seconds_total Total seconds spent doing I/Os.
    # TYPE node_disk_io_time_seconds_total counter
    node_disk_io_time_seconds_total{device="vda"} 24.904
    node_disk_io_time_seconds_total{device="zram0"} 0
    # HELP node_disk_io_time_weighted_seconds_total The weighted # of seconds spent doing I/Os.
    # TYPE node_disk_io_time_weighted_seconds_total counter
    node_disk_io_time_weighted_seconds_total{device="vda"} 203.90200000000002
    node_disk_io_time_weighted_seconds_total{device="zram0"} 0
    # HELP node_disk_read_time_seconds_total The total number of seconds spent by all reads.
    # TYPE node_disk_read_time_seconds_total counter
    node_disk_read_time_seconds_total{device="vda"} 163.598
    node_disk_read_time_seconds_total{device="zram0"} 0
    # HELP node_disk_reads_completed_total The total number of reads completed successfully.
    # TYPE node_disk_reads_completed_total counter
    node_disk_reads_completed_total{device="vda"} 137331
    node_disk_reads_completed_total{device="zram0"} 0
    # HELP node_disk_write_time_seconds_total This is the total number of seconds spent by all writes.
    # TYPE node_disk_write_time_seconds_total counter
    node_disk_write_time_seconds_total{device="vda"} 35.493
    node_disk_write_time_seconds_total{device="zram0"} 0
    # HELP node_disk_writes_completed_total The total number of writes completed successfully.
    # TYPE node_disk_writes_completed_total counter
    node_disk_writes_completed_total{device="vda"} 88605
    node_disk_writes_completed_total{device="zram0"} 0
    # HELP node_load1 1m load average.
    # TYPE node_load1 gauge
    node_load1 3.99
    # HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
    # TYPE node_memory_MemAvailable_bytes gauge
    node_memory_MemAvailable_bytes 2.4440008704e+10
    # HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
    # TYPE node_memory_MemTotal_bytes gauge
    node_memory_MemTotal_bytes 2.5276510208e+10
    # HELP node_memory_SwapFree_bytes Memory information field SwapFree_bytes.
    # TYPE node_memory_SwapFree_bytes gauge
    node_memory_SwapFree_bytes 0
    # HELP node_memory_SwapTotal_bytes Memory information field SwapTotal_bytes.
    # TYPE node_memory_SwapTotal_bytes gauge
    node_memory_SwapTotal_bytes 0
    # HELP node_netstat_TcpExt_ListenDrops Statistic TcpExtListenDrops.
    # TYPE node_netstat_TcpExt_ListenDrops untyped
    node_netstat_TcpExt_ListenDrops 0
    # HELP node_netstat_TcpExt_ListenOverflows Statistic TcpExtListenOverflows.
    # TYPE node_netstat_TcpExt_ListenOverflows untyped
    node_netstat_TcpExt_ListenOverflows 0
    # HELP node_netstat_Tcp_OutSegs Statistic TcpOutSegs.
    # TYPE node_netstat_Tcp_OutSegs untyped
    node_netstat_Tcp_OutSegs 20794
    # HELP node_netstat_Tcp_RetransSegs Statistic TcpRetransSegs.
    # TYPE node_netstat_Tcp_RetransSegs untyped
    node_netstat_Tcp_RetransSegs 23
    # HELP node_network_receive_bytes_total Network device statistic receive_bytes.
    # TYPE node_network_receive_bytes_total counter
    node_network_receive_bytes_total{device="eth0"} 1.66588061e+08
    # HELP node_network_receive_drop_total Network device statistic receive_drop.
    # TYPE node_network_receive_drop_total counter
    node_network_receive_drop_total{device="eth0"} 0
    # HELP node_network_receive_errs_total Network device statistic receive_errs.
    # TYPE node_network_receive_errs_total counter
    node_network_receive_errs_total{device="eth0"} 0
    # HELP node_network_transmit_bytes_total Network device statistic transmit_bytes.
    # TYPE node_network_transmit_bytes_total counter
    node_network_transmit_bytes_total{device="eth0"} 155388
    # HELP node_network_transmit_drop_total Network device statistic transmit_drop.
    # TYPE node_network_transmit_drop_total counter
    node_network_transmit_drop_total{device="eth0"} 0
    # HELP node_network_transmit_errs_total Network device statistic transmit_errs.
    # TYPE node_network_transmit_errs_total counter
    node_network_transmit_errs_total{device="eth0"} 0
    # HELP node_pressure_cpu_waiting_seconds_total Total time in seconds that processes have waited for CPU time
    # TYPE node_pressure_cpu_waiting_seconds_total counter
    node_pressure_cpu_waiting_seconds_total 207.384153
    # HELP node_pressure_io_stalled_seconds_total Total time in seconds no process could make progress due to IO congestion
    # TYPE node_pressure_io_stalled_seconds_total counter
    node_pressure_io_stalled_seconds_total 10.841892
    # HELP node_pressure_io_waiting_seconds_total Total time in seconds that processes have waited due to IO congestion
    # TYPE node_pressure_io_waiting_seconds_total counter
    node_pressure_io_waiting_seconds_total 13.315674999999999
    # HELP node_pressure_memory_stalled_seconds_total Total time in seconds no process could make progress due to memory congestion
    # TYPE node_pressure_memory_stalled_seconds_total counter
    node_pressure_memory_stalled_seconds_total 0
    # HELP node_pressure_memory_waiting_seconds_total Total time in seconds that processes have waited for memory
    # TYPE node_pressure_memory_waiting_seconds_total counter
    node_pressure_memory_waiting_seconds_total 0
    # HELP node_procs_blocked Number of processes blocked waiting for I/O to complete.
    # TYPE node_procs_blocked gauge
    node_procs_blocked 0
    # HELP node_procs_running Number of processes in runnable state.
    # TYPE node_procs_running gauge
    node_procs_running 7
    # HELP node_vmstat_pswpin /proc/vmstat information field pswpin.
    # TYPE node_vmstat_pswpin untyped
    node_vmstat_pswpin 0
    # HELP node_vmstat_pswpout /proc/vmstat information field pswpout.
    # TYPE node_vmstat_pswpout untyped
    node_vmstat_pswpout 0
    """#
}
