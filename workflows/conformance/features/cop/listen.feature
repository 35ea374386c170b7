Feature: Listen Task
  As a workflow author
  I want an instance to wait for events sent to it
  So that integrators can move a case on

  Scenario: Listen for one event and read its data
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: listen-one
      version: '1.0.0'
    do:
      - waitForOutcome:
          listen:
            to:
              one:
                with:
                  type: uk.gov.borderforce.seizure.outcome.v1
          output:
            as: .[0]
    """
    And the workflow receives the event:
    """yaml
    specversion: '1.0'
    id: '1'
    source: https://casework.example
    type: uk.gov.borderforce.something.else.v1
    data:
      ignored: true
    """
    And the workflow receives the event:
    """yaml
    specversion: '1.0'
    id: '2'
    source: https://casework.example
    type: uk.gov.borderforce.seizure.outcome.v1
    data:
      outcome: destroyed
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    outcome: destroyed
    """

  Scenario: Listen for all events, read as envelopes
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: listen-all
      version: '1.0.0'
    do:
      - waitForBoth:
          listen:
            to:
              all:
                - with:
                    type: a.v1
                - with:
                    type: b.v1
            read: envelope
          output:
            as: '[ .[].type ]'
    """
    And the workflow receives the event:
    """yaml
    {specversion: '1.0', id: '1', source: https://x.example, type: b.v1}
    """
    And the workflow receives the event:
    """yaml
    {specversion: '1.0', id: '2', source: https://x.example, type: a.v1}
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    [ b.v1, a.v1 ]
    """
