"""CloudFormation intrinsics as CloudFormation evaluates them."""
import pytest

from infra.deploy.intrinsics import Resolver, TemplateError, dependencies


def make(params=None, conditions=None, created=None):
    created = created or {"Table": ("retail-Table", {"Arn": "arn:aws:dynamodb:us-east-1:1:table/retail-Table"})}
    return Resolver(
        {"AWS::Region": "us-east-1", "AWS::StackName": "retail", "Stage": "prod", **(params or {})},
        conditions or {},
        lambda name: created[name][0],
        lambda name, att: created[name][1][att],
        {"Sizes": {"prod": {"Memory": 512}}},
    )


def test_ref_parameter_pseudo_and_resource():
    r = make()
    assert r.resolve({"Ref": "Stage"}) == "prod"
    assert r.resolve({"Ref": "AWS::Region"}) == "us-east-1"
    assert r.resolve({"Ref": "Table"}) == "retail-Table"


def test_sub_with_attributes_variables_and_escapes():
    r = make()
    assert r.resolve({"Fn::Sub": "${AWS::StackName}-${Stage}"}) == "retail-prod"
    assert r.resolve({"Fn::Sub": "${Table.Arn}/index/*"}) == "arn:aws:dynamodb:us-east-1:1:table/retail-Table/index/*"
    assert r.resolve({"Fn::Sub": ["${A}-${Stage}", {"A": {"Ref": "Table"}}]}) == "retail-Table-prod"
    assert r.resolve({"Fn::Sub": "${!Literal}"}) == "${Literal}"


def test_join_select_split_findinmap_getatt():
    r = make()
    assert r.resolve({"Fn::Join": [",", ["a", {"Ref": "Stage"}]]}) == "a,prod"
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert r.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 512
    assert r.resolve({"Fn::GetAtt": ["Table", "Arn"]}).endswith(":table/retail-Table")
    assert r.resolve({"Fn::GetAtt": "Table.Arn"}).endswith(":table/retail-Table")


def test_conditions_if_and_novalue_remove_keys_and_items():
    r = make({"Hooks": "false"}, {"On": {"Fn::Equals": [{"Ref": "Hooks"}, "true"]},
                                  "Off": {"Fn::Not": [{"Condition": "On"}]}})
    assert r.condition("On") is False and r.condition("Off") is True
    value = {"keep": 1, "drop": {"Fn::If": ["On", "x", {"Ref": "AWS::NoValue"}]},
             "items": [1, {"Fn::If": ["On", 2, {"Ref": "AWS::NoValue"}]}, 3]}
    assert r.resolve(value) == {"keep": 1, "items": [1, 3]}


def test_unknown_condition_is_an_error():
    with pytest.raises(TemplateError):
        make().condition("Nope")


def test_dependencies_found_in_ref_getatt_and_sub():
    value = {"a": {"Ref": "Table"}, "b": {"Fn::GetAtt": ["Role", "Arn"]},
             "c": {"Fn::Sub": "${Fn.Arn} ${Stage} ${AWS::Region}"}, "d": {"Ref": "Stage"}}
    assert dependencies(value, {"Table", "Role", "Fn", "Other"}) == {"Table", "Role", "Fn"}
