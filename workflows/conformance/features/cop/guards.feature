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
