// Captured on the (2-core, shared) test machine: /proc files read twice, two seconds apart, while
// six busy loops competed for the CPU. Trimmed to the lines the parser reads (the long `intr`
// line of /proc/stat and unrelated counters are left out); everything kept is verbatim.
enum ProcFixtures {
    static let busyStart: [String: String] = [
        "diskstats": #"""
           7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
           7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
         254       0 vda 130985 15628 13850730 162587 87776 48772 8238136 34123 0 24536 201491 36123 8 4466184 3811 19404 968
         253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
        """#,
        "loadavg": #"""
        2.31 1.34 0.85 13/170 6123
        """#,
        "meminfo": #"""
        MemTotal:       24684092 kB
        MemFree:        22146672 kB
        MemAvailable:   23746316 kB
        Buffers:           16584 kB
        Cached:          1796600 kB
        SwapCached:            0 kB
        Active:          1132992 kB
        Inactive:        1166480 kB
        Active(anon):      42312 kB
        Inactive(anon):   504348 kB
        Active(file):    1090680 kB
        Inactive(file):   662132 kB
        Unevictable:       15716 kB
        Mlocked:           14712 kB
        SwapTotal:             0 kB
        SwapFree:              0 kB
        Zswap:                 0 kB
        Zswapped:              0 kB
        Dirty:             44876 kB
        Writeback:             0 kB
        """#,
        "net/dev": #"""
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo: 6183395   18861    0    0    0     0          0         0  6183395   18861    0    0    0     0       0          0
          ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
          ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
          eth0: 162500842    3203    0    0    0     0          0         0   150403    2084    0    0    0     0       0          0
        """#,
        "net/netstat": #"""
        TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps
        TcpExt: 0 0 0 0 0 0 0 0 0 0 642 0 0 0 0 0 0 0 0 55 0 23 0 0 10757 1995 10910 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2 23 0 0 0 0 100 23 0 23 0 5 12 0 0 0 0 0 0 0 0 23 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2944 0 0 0 0 0 0 0 0 0 0 0 0 2 0 0 207 207 541 0 14397 0 0 0 0 0 0 0 0 0 0 0 0 0 0 15058 0 0 0 0 0 0 2 0 23 0 0 0 0 0 0 0 0 0
        """#,
        "net/snmp": #"""
        Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
        Tcp: 1 200 120000 -1 779 647 119 27 0 21832 20686 23 0 140 0
        Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
        Udp: 225 0 0 226 0 0 0 0 0
        """#,
        "pressure/cpu": #"""
        some avg10=37.97 avg60=30.57 avg300=18.35 total=180735957
        full avg10=0.00 avg60=0.00 avg300=0.00 total=0
        """#,
        "pressure/io": #"""
        some avg10=0.00 avg60=0.23 avg300=0.35 total=13132119
        full avg10=0.00 avg60=0.08 avg300=0.22 total=10841229
        """#,
        "pressure/memory": #"""
        some avg10=0.00 avg60=0.00 avg300=0.00 total=0
        full avg10=0.00 avg60=0.00 avg300=0.00 total=0
        """#,
        "stat": #"""
        cpu  84559 74 21774 348028 1498 0 233 127 0 0
        cpu0 38782 37 9463 179474 244 0 47 58 0 0
        cpu1 45776 36 12310 168553 1253 0 185 69 0 0
        ctxt 1263549
        btime 1795246953
        procs_running 13
        procs_blocked 0
        """#,
        "vmstat": #"""
        pswpin 0
        pswpout 0
        pgfault 31056269
        pgmajfault 10738
        """#,
    ]
    static let busyEnd: [String: String] = [
        "diskstats": #"""
           7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
           7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
         254       0 vda 131025 15628 13855970 162618 87777 48772 8238648 34123 0 24544 201524 36132 8 4466256 3813 19404 968
         253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
        """#,
        "loadavg": #"""
        3.09 1.52 0.91 10/169 6170
        """#,
        "meminfo": #"""
        MemTotal:       24684092 kB
        MemFree:        22024016 kB
        MemAvailable:   23631276 kB
        Buffers:           16620 kB
        Cached:          1804088 kB
        SwapCached:            0 kB
        Active:          1136192 kB
        Inactive:        1286168 kB
        Active(anon):      42328 kB
        Inactive(anon):   619704 kB
        Active(file):    1093864 kB
        Inactive(file):   666464 kB
        Unevictable:       15716 kB
        Mlocked:           14712 kB
        SwapTotal:             0 kB
        SwapFree:              0 kB
        Zswap:                 0 kB
        Zswapped:              0 kB
        Dirty:             49268 kB
        Writeback:             0 kB
        """#,
        "net/dev": #"""
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo: 6183395   18861    0    0    0     0          0         0  6183395   18861    0    0    0     0       0          0
          ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
          ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
          eth0: 162500842    3203    0    0    0     0          0         0   150403    2084    0    0    0     0       0          0
        """#,
        "net/netstat": #"""
        TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps
        TcpExt: 0 0 0 0 0 0 0 0 0 0 642 0 0 0 0 0 0 0 0 55 0 23 0 0 10757 1995 10910 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2 23 0 0 0 0 100 23 0 23 0 5 12 0 0 0 0 0 0 0 0 23 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2944 0 0 0 0 0 0 0 0 0 0 0 0 2 0 0 207 207 541 0 14397 0 0 0 0 0 0 0 0 0 0 0 0 0 0 15058 0 0 0 0 0 0 2 0 23 0 0 0 0 0 0 0 0 0
        """#,
        "net/snmp": #"""
        Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
        Tcp: 1 200 120000 -1 779 647 119 27 0 21832 20686 23 0 140 0
        Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
        Udp: 225 0 0 226 0 0 0 0 0
        """#,
        "pressure/cpu": #"""
        some avg10=49.02 avg60=32.81 avg300=18.90 total=183127677
        full avg10=0.00 avg60=0.00 avg300=0.00 total=0
        """#,
        "pressure/io": #"""
        some avg10=0.00 avg60=0.22 avg300=0.35 total=13133263
        full avg10=0.00 avg60=0.07 avg300=0.22 total=10841229
        """#,
        "pressure/memory": #"""
        some avg10=0.00 avg60=0.00 avg300=0.00 total=0
        full avg10=0.00 avg60=0.00 avg300=0.00 total=0
        """#,
        "stat": #"""
        cpu  85075 74 21835 348028 1498 0 233 127 0 0
        cpu0 39069 37 9466 179474 244 0 47 58 0 0
        cpu1 46005 36 12369 168553 1253 0 185 69 0 0
        ctxt 1265837
        btime 1795246953
        procs_running 16
        procs_blocked 0
        """#,
        "vmstat": #"""
        pswpin 0
        pswpout 0
        pgfault 31097463
        pgmajfault 10745
        """#,
    ]
}
