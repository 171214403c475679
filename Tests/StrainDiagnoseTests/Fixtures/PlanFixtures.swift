// EXPLAIN (FORMAT JSON) output captured from the PostgreSQL 15 test cluster, verbatim.
enum PlanFixtures {
    /// EXPLAIN (VERBOSE, FORMAT JSON) of a generic plan: WHERE customer_email = $1 AND status = $2 on fx.orders (200,000 rows, no index).
    static let sequentialScanGeneric = #"""
    [
      {
        "Plan": {
          "Node Type": "Gather",
          "Parallel Aware": false,
          "Async Capable": false,
          "Startup Cost": 1000.00,
          "Total Cost": 4634.91,
          "Plan Rows": 2,
          "Plan Width": 12,
          "Output": ["id", "total"],
          "Workers Planned": 1,
          "Single Copy": false,
          "Plans": [
            {
              "Node Type": "Seq Scan",
              "Parent Relationship": "Outer",
              "Parallel Aware": true,
              "Async Capable": false,
              "Relation Name": "orders",
              "Schema": "fx",
              "Alias": "orders",
              "Startup Cost": 0.00,
              "Total Cost": 3634.71,
              "Plan Rows": 1,
              "Plan Width": 12,
              "Output": ["id", "total"],
              "Filter": "((orders.customer_email = $1) AND (orders.status = $2))"
            }
          ]
        },
        "Query Identifier": -4402444109203164844
      }
    ]
    """#
    /// EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON): ORDER BY over 200,000 rows with the default work_mem.
    static let sortOnDiskAnalyzed = #"""
    [
      {
        "Plan": {
          "Node Type": "Sort",
          "Parallel Aware": false,
          "Async Capable": false,
          "Startup Cost": 27632.64,
          "Total Cost": 28132.64,
          "Plan Rows": 200000,
          "Plan Width": 46,
          "Actual Startup Time": 173.735,
          "Actual Total Time": 207.864,
          "Actual Rows": 200000,
          "Actual Loops": 1,
          "Output": ["id", "customer_email", "status", "total", "created_at"],
          "Sort Key": ["orders.total", "orders.customer_email"],
          "Sort Method": "external merge",
          "Sort Space Used": 11368,
          "Sort Space Type": "Disk",
          "Shared Hit Blocks": 1870,
          "Shared Read Blocks": 0,
          "Shared Dirtied Blocks": 0,
          "Shared Written Blocks": 0,
          "Local Hit Blocks": 0,
          "Local Read Blocks": 0,
          "Local Dirtied Blocks": 0,
          "Local Written Blocks": 0,
          "Temp Read Blocks": 1421,
          "Temp Written Blocks": 1426,
          "Plans": [
            {
              "Node Type": "Seq Scan",
              "Parent Relationship": "Outer",
              "Parallel Aware": false,
              "Async Capable": false,
              "Relation Name": "orders",
              "Schema": "fx",
              "Alias": "orders",
              "Startup Cost": 0.00,
              "Total Cost": 3870.00,
              "Plan Rows": 200000,
              "Plan Width": 46,
              "Actual Startup Time": 0.007,
              "Actual Total Time": 12.732,
              "Actual Rows": 200000,
              "Actual Loops": 1,
              "Output": ["id", "customer_email", "status", "total", "created_at"],
              "Shared Hit Blocks": 1870,
              "Shared Read Blocks": 0,
              "Shared Dirtied Blocks": 0,
              "Shared Written Blocks": 0,
              "Local Hit Blocks": 0,
              "Local Read Blocks": 0,
              "Local Dirtied Blocks": 0,
              "Local Written Blocks": 0,
              "Temp Read Blocks": 0,
              "Temp Written Blocks": 0
            }
          ]
        },
        "Query Identifier": -7073948746034754447,
        "Planning": {
          "Shared Hit Blocks": 15,
          "Shared Read Blocks": 0,
          "Shared Dirtied Blocks": 0,
          "Shared Written Blocks": 0,
          "Local Hit Blocks": 0,
          "Local Read Blocks": 0,
          "Local Dirtied Blocks": 0,
          "Local Written Blocks": 0,
          "Temp Read Blocks": 0,
          "Temp Written Blocks": 0
        },
        "Planning Time": 0.060,
        "Triggers": [
        ],
        "Execution Time": 215.431
      }
    ]
    """#
    /// EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON): a filter on an expression the planner cannot estimate.
    static let misestimateAnalyzed = #"""
    [
      {
        "Plan": {
          "Node Type": "Gather",
          "Parallel Aware": false,
          "Async Capable": false,
          "Startup Cost": 1000.00,
          "Total Cost": 5232.84,
          "Plan Rows": 99,
          "Plan Width": 46,
          "Actual Startup Time": 0.266,
          "Actual Total Time": 14.215,
          "Actual Rows": 20000,
          "Actual Loops": 1,
          "Output": ["id", "customer_email", "status", "total", "created_at"],
          "Workers Planned": 1,
          "Workers Launched": 1,
          "Single Copy": false,
          "Plans": [
            {
              "Node Type": "Seq Scan",
              "Parent Relationship": "Outer",
              "Parallel Aware": true,
              "Async Capable": false,
              "Relation Name": "orders",
              "Schema": "fx",
              "Alias": "orders",
              "Startup Cost": 0.00,
              "Total Cost": 4222.94,
              "Plan Rows": 58,
              "Plan Width": 46,
              "Actual Startup Time": 0.013,
              "Actual Total Time": 7.300,
              "Actual Rows": 10000,
              "Actual Loops": 2,
              "Output": ["id", "customer_email", "status", "total", "created_at"],
              "Filter": "((orders.status = 'open'::text) AND (((orders.total)::integer % 10) = 0))",
              "Rows Removed by Filter": 90000,
              "Workers": [
                {
                  "Worker Number": 0,
                  "Actual Startup Time": 0.014,
                  "Actual Total Time": 5.976,
                  "Actual Rows": 5123,
                  "Actual Loops": 1
                }
              ]
            }
          ]
        },
        "Query Identifier": 3476787164424586538,
        "Planning Time": 0.093,
        "Triggers": [
        ],
        "Execution Time": 14.776
      }
    ]
    """#
    /// EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) with work_mem = 64kB: a hash join in 128 batches.
    static let hashBatchesAnalyzed = #"""
    [
      {
        "Plan": {
          "Node Type": "Aggregate",
          "Strategy": "Sorted",
          "Partial Mode": "Finalize",
          "Parallel Aware": false,
          "Async Capable": false,
          "Startup Cost": 28570.37,
          "Total Cost": 36346.29,
          "Plan Rows": 50135,
          "Plan Width": 29,
          "Actual Startup Time": 199.937,
          "Actual Total Time": 262.866,
          "Actual Rows": 50000,
          "Actual Loops": 1,
          "Output": ["a.customer_email", "count(*)"],
          "Group Key": ["a.customer_email"],
          "Plans": [
            {
              "Node Type": "Gather Merge",
              "Parent Relationship": "Outer",
              "Parallel Aware": false,
              "Async Capable": false,
              "Startup Cost": 28570.37,
              "Total Cost": 35594.26,
              "Plan Rows": 50135,
              "Plan Width": 29,
              "Actual Startup Time": 199.926,
              "Actual Total Time": 248.928,
              "Actual Rows": 93666,
              "Actual Loops": 1,
              "Output": ["a.customer_email", "(PARTIAL count(*))"],
              "Workers Planned": 1,
              "Workers Launched": 1,
              "Plans": [
                {
                  "Node Type": "Aggregate",
                  "Strategy": "Sorted",
                  "Partial Mode": "Partial",
                  "Parent Relationship": "Outer",
                  "Parallel Aware": false,
                  "Async Capable": false,
                  "Startup Cost": 27570.36,
                  "Total Cost": 28954.06,
                  "Plan Rows": 50135,
                  "Plan Width": 29,
                  "Actual Startup Time": 197.101,
                  "Actual Total Time": 225.197,
                  "Actual Rows": 46833,
                  "Actual Loops": 2,
                  "Output": ["a.customer_email", "PARTIAL count(*)"],
                  "Group Key": ["a.customer_email"],
                  "Workers": [
                    {
                      "Worker Number": 0,
                      "Actual Startup Time": 194.877,
                      "Actual Total Time": 224.072,
                      "Actual Rows": 46848,
                      "Actual Loops": 1
                    }
                  ],
                  "Plans": [
                    {
                      "Node Type": "Sort",
                      "Parent Relationship": "Outer",
                      "Parallel Aware": false,
                      "Async Capable": false,
                      "Startup Cost": 27570.36,
                      "Total Cost": 27864.48,
                      "Plan Rows": 117647,
                      "Plan Width": 21,
                      "Actual Startup Time": 197.088,
                      "Actual Total Time": 209.554,
                      "Actual Rows": 100000,
                      "Actual Loops": 2,
                      "Output": ["a.customer_email"],
                      "Sort Key": ["a.customer_email"],
                      "Sort Method": "external merge",
                      "Sort Space Used": 3144,
                      "Sort Space Type": "Disk",
                      "Workers": [
                        {
                          "Worker Number": 0,
                          "Actual Startup Time": 194.870,
                          "Actual Total Time": 207.857,
                          "Actual Rows": 100027,
                          "Actual Loops": 1,
                          "Sort Method": "external merge",
                          "Sort Space Used": 3144,
                          "Sort Space Type": "Disk"
                        }
                      ],
                      "Plans": [
                        {
                          "Node Type": "Hash Join",
                          "Parent Relationship": "Outer",
                          "Parallel Aware": true,
                          "Async Capable": false,
                          "Join Type": "Inner",
                          "Startup Cost": 5322.06,
                          "Total Cost": 10417.07,
                          "Plan Rows": 117647,
                          "Plan Width": 21,
                          "Actual Startup Time": 134.406,
                          "Actual Total Time": 155.805,
                          "Actual Rows": 100000,
                          "Actual Loops": 2,
                          "Output": ["a.customer_email"],
                          "Inner Unique": true,
                          "Hash Cond": "((b.id + 1) = a.id)",
                          "Workers": [
                            {
                              "Worker Number": 0,
                              "Actual Startup Time": 132.177,
                              "Actual Total Time": 153.491,
                              "Actual Rows": 100027,
                              "Actual Loops": 1
                            }
                          ],
                          "Plans": [
                            {
                              "Node Type": "Seq Scan",
                              "Parent Relationship": "Outer",
                              "Parallel Aware": true,
                              "Async Capable": false,
                              "Relation Name": "orders",
                              "Schema": "fx",
                              "Alias": "b",
                              "Startup Cost": 0.00,
                              "Total Cost": 3046.47,
                              "Plan Rows": 117647,
                              "Plan Width": 8,
                              "Actual Startup Time": 0.011,
                              "Actual Total Time": 13.305,
                              "Actual Rows": 100000,
                              "Actual Loops": 2,
                              "Output": ["b.id"],
                              "Workers": [
                                {
                                  "Worker Number": 0,
                                  "Actual Startup Time": 0.008,
                                  "Actual Total Time": 12.946,
                                  "Actual Rows": 96103,
                                  "Actual Loops": 1
                                }
                              ]
                            },
                            {
                              "Node Type": "Hash",
                              "Parent Relationship": "Inner",
                              "Parallel Aware": true,
                              "Async Capable": false,
                              "Startup Cost": 3046.47,
                              "Total Cost": 3046.47,
                              "Plan Rows": 117647,
                              "Plan Width": 29,
                              "Actual Startup Time": 69.666,
                              "Actual Total Time": 69.668,
                              "Actual Rows": 100000,
                              "Actual Loops": 2,
                              "Output": ["a.customer_email", "a.id"],
                              "Hash Buckets": 2048,
                              "Original Hash Buckets": 2048,
                              "Hash Batches": 128,
                              "Original Hash Batches": 128,
                              "Peak Memory Usage": 144,
                              "Workers": [
                                {
                                  "Worker Number": 0,
                                  "Actual Startup Time": 68.194,
                                  "Actual Total Time": 68.196,
                                  "Actual Rows": 83156,
                                  "Actual Loops": 1
                                }
                              ],
                              "Plans": [
                                {
                                  "Node Type": "Seq Scan",
                                  "Parent Relationship": "Outer",
                                  "Parallel Aware": true,
                                  "Async Capable": false,
                                  "Relation Name": "orders",
                                  "Schema": "fx",
                                  "Alias": "a",
                                  "Startup Cost": 0.00,
                                  "Total Cost": 3046.47,
                                  "Plan Rows": 117647,
                                  "Plan Width": 29,
                                  "Actual Startup Time": 0.010,
                                  "Actual Total Time": 20.688,
                                  "Actual Rows": 100000,
                                  "Actual Loops": 2,
                                  "Output": ["a.customer_email", "a.id"],
                                  "Workers": [
                                    {
                                      "Worker Number": 0,
                                      "Actual Startup Time": 0.009,
                                      "Actual Total Time": 15.982,
                                      "Actual Rows": 83156,
                                      "Actual Loops": 1
                                    }
                                  ]
                                }
                              ]
                            }
                          ]
                        }
                      ]
                    }
                  ]
                }
              ]
            }
          ]
        },
        "Query Identifier": 5947596120690569256,
        "Planning Time": 0.258,
        "Triggers": [
        ],
        "Execution Time": 265.174
      }
    ]
    """#
    /// the generic plan of sequentialScanGeneric's statement (on public.orders) with a HypoPG index on (customer_email, status).
    static let hypotheticalIndexGeneric = #"""
    [
      {
        "Plan": {
          "Node Type": "Bitmap Heap Scan",
          "Parallel Aware": false,
          "Async Capable": false,
          "Relation Name": "orders",
          "Schema": "public",
          "Alias": "orders",
          "Startup Cost": 4.07,
          "Total Cost": 11.89,
          "Plan Rows": 2,
          "Plan Width": 12,
          "Output": ["id", "total"],
          "Recheck Cond": "((orders.customer_email = $1) AND (orders.status = $2))",
          "Plans": [
            {
              "Node Type": "Bitmap Index Scan",
              "Parent Relationship": "Outer",
              "Parallel Aware": false,
              "Async Capable": false,
              "Index Name": "<13556>btree_orders_customer_email_status",
              "Startup Cost": 0.00,
              "Total Cost": 4.06,
              "Plan Rows": 2,
              "Plan Width": 0,
              "Index Cond": "((orders.customer_email = $1) AND (orders.status = $2))"
            }
          ]
        },
        "Query Identifier": 8722177993377269992
      }
    ]
    """#
}
