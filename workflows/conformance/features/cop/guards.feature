Feature: Guards
  As the platform
  I want definitions that would harm it refused or stopped
  So that one author's mistake cannot hang a worker or reach a private host

  Scenario: A loop of then jumps with no exit faults instead of hanging
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: runaway
      version: '1.0.0'
    do:
      - ping:
          set:
            n: 1
          then: pong
      - pong:
          set:
            n: 2
          then: ping
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
    """

  Scenario: A call to a host outside the allow-list is refused
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: ssrf
      version: '1.0.0'
    do:
      - metadata:
          call: http
          with:
            method: get
            endpoint: http://169.254.169.254/latest/meta-data/
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/authorization
    status: 403
    instance: /do/0/metadata
    """

  Scenario: A now in an expression is refused before anything runs
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: clock
      version: '1.0.0'
    do:
      - stamp:
          set:
            at: ${ now }
    """
    When the workflow is executed
    Then the workflow should be refused with a problem at '/do/0/stamp/set/at' saying 'now is not allowed'

  Scenario: A loop through a wait of no time faults instead of spinning
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: zero-wait-loop
      version: '1.0.0'
    do:
      - tick:
          wait: PT0S
          then: tock
      - tock:
          set:
            n: 1
          then: tick
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
    title: Runaway instance
    """

  Scenario: A task with a timeout inside a loop does not reset the guard
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: timeout-loop
      version: '1.0.0'
    do:
      - spin:
          set:
            n: 1
          timeout:
            after: PT1M
          then: spin
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
    title: Runaway instance
    """

  Scenario: A retry whose delay works out to nothing faults instead of spinning
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: zero-delay-retry
      version: '1.0.0'
    do:
      - again:
          try:
            - fail:
                raise:
                  error:
                    type: https://example.com/errors/boom
                    status: 500
          catch:
            retry:
              delay: ${ "PT0S" }
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
    title: Runaway instance
    """

  Scenario: A retry with no delay and no limit is refused before anything runs
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: retry-forever
      version: '1.0.0'
    do:
      - again:
          try:
            - fail:
                raise:
                  error:
                    type: https://example.com/errors/boom
                    status: 500
          catch:
            retry:
              backoff:
                exponential: {}
              limit:
                duration: PT1M
    """
    When the workflow is executed
    Then the workflow should be refused with a problem at '/do/0/again/catch/retry' saying 'no delay and no attempt limit'

  Scenario: A loop of heavy expressions faults after a bounded amount of work
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: heavy-loop
      version: '1.0.0'
    do:
      - churn:
          set:
            n: ${ [range(100000)] | length }
          then: churn
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
    title: Runaway instance
    instance: /do/0/churn
    """

  Scenario: An expression that builds a huge value faults with an expression error
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: string-bomb
      version: '1.0.0'
    do:
      - grow:
          set:
            s: ${ reduce range(40) as $i ("x"; . + .) }
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/expression
    instance: /do/0/grow/set
    """
